/* Unit tests for profiler/perf_ring.c: a fake ring written the way the kernel
 * writes it (head moves forward, records wrap at the end of the buffer), and
 * the records a busy reader holds in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/capture/perf_ring.h"

#define RING_SIZE 256u

struct fake {
	struct perf_event_mmap_page meta;
	unsigned char data[RING_SIZE];
	struct perf_ring ring;
};

/* Writes one record of total size `size` whose payload bytes are `fill`,
 * wrapping at the end like the kernel does, and publishes the new head. */
static void kernel_write(struct fake *f, uint32_t type, uint16_t size, unsigned char fill)
{
	unsigned char rec[512];
	struct perf_event_header h = { .type = type, .misc = 0, .size = size };
	memcpy(rec, &h, sizeof(h));
	memset(rec + sizeof(h), fill, size - sizeof(h));
	uint64_t head = f->meta.data_head;
	for (uint16_t i = 0; i < size; i++)
		f->data[(head + i) & (RING_SIZE - 1)] = rec[i];
	f->meta.data_head = head + size;
}

static void fake_init(struct fake *f, uint64_t start)
{
	memset(f, 0, sizeof(*f));
	f->meta.data_head = start;
	f->meta.data_tail = start;
	perf_ring_init_mem(&f->ring, &f->meta, f->data, RING_SIZE);
}

static void check_record(const struct perf_event_header *h, uint32_t type, uint16_t size, unsigned char fill)
{
	assert_non_null(h);
	assert_int_equal(h->type, type);
	assert_int_equal(h->size, size);
	const unsigned char *p = (const unsigned char *)(h + 1);
	for (size_t i = 0; i < size - sizeof(*h); i++)
		assert_int_equal(p[i], fill);
}

static void test_reads_in_order_and_moves_tail(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	assert_int_equal(perf_ring_begin(&f->ring), 0);
	assert_null(perf_ring_next(&f->ring, scratch));
	kernel_write(f, 9, 24, 0xa1);
	kernel_write(f, 3, 40, 0xb2);
	assert_int_equal(perf_ring_begin(&f->ring), 64);
	check_record(perf_ring_next(&f->ring, scratch), 9, 24, 0xa1);
	check_record(perf_ring_next(&f->ring, scratch), 3, 40, 0xb2);
	assert_null(perf_ring_next(&f->ring, scratch));
	/* The tail moves only when the batch is given back. */
	assert_int_equal(f->meta.data_tail, 0);
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, 64);
	free(f);
}

static void test_snapshot_ignores_later_writes(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	kernel_write(f, 9, 16, 1);
	perf_ring_begin(&f->ring);
	kernel_write(f, 9, 16, 2); /* after the snapshot: next batch */
	check_record(perf_ring_next(&f->ring, scratch), 9, 16, 1);
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	assert_int_equal(perf_ring_begin(&f->ring), 16);
	check_record(perf_ring_next(&f->ring, scratch), 9, 16, 2);
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, 32);
	free(f);
}

static void test_straddling_record_is_copied_whole(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	/* Start near the end: the second record wraps around. */
	fake_init(f, RING_SIZE - 32);
	unsigned char scratch[PERF_RING_SCRATCH];
	kernel_write(f, 9, 16, 0x11);
	kernel_write(f, 9, 48, 0x22); /* 16 bytes at the end, 32 at the start */
	kernel_write(f, 9, 24, 0x33);
	perf_ring_begin(&f->ring);
	check_record(perf_ring_next(&f->ring, scratch), 9, 16, 0x11);
	const struct perf_event_header *h = perf_ring_next(&f->ring, scratch);
	check_record(h, 9, 48, 0x22);
	assert_ptr_equal(h, (const void *)scratch);
	h = perf_ring_next(&f->ring, scratch);
	check_record(h, 9, 24, 0x33);
	assert_ptr_equal(h, (const void *)(f->data + 32)); /* in place again */
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, RING_SIZE - 32 + 88);
	free(f);
}

static void test_header_split_across_the_end(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	/* 4 bytes before the end: even the header wraps (not something the kernel
	 * does with 8-byte alignment, but a reader must not read out of bounds). */
	fake_init(f, RING_SIZE - 4);
	unsigned char scratch[PERF_RING_SCRATCH];
	kernel_write(f, 7, 20, 0x44);
	perf_ring_begin(&f->ring);
	check_record(perf_ring_next(&f->ring, scratch), 7, 20, 0x44);
	free(f);
}

static void test_many_laps(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	uint64_t n = 0;
	for (int lap = 0; lap < 200; lap++) {
		uint16_t size = (uint16_t)(8 + 8 * (lap % 11));
		kernel_write(f, 9, size, (unsigned char)lap);
		kernel_write(f, 10, 64, (unsigned char)(lap + 1));
		perf_ring_begin(&f->ring);
		check_record(perf_ring_next(&f->ring, scratch), 9, size, (unsigned char)lap);
		check_record(perf_ring_next(&f->ring, scratch), 10, 64, (unsigned char)(lap + 1));
		assert_null(perf_ring_next(&f->ring, scratch));
		perf_ring_end(&f->ring);
		n += size + 64u;
	}
	assert_int_equal(f->meta.data_tail, n);
	free(f);
}

static void test_bad_size_ends_batch(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	kernel_write(f, 9, 16, 1);
	/* A header claiming more bytes than were published. */
	struct perf_event_header bad = { .type = 9, .size = 200 };
	memcpy(f->data + 16, &bad, sizeof(bad));
	f->meta.data_head += 16;
	perf_ring_begin(&f->ring);
	check_record(perf_ring_next(&f->ring, scratch), 9, 16, 1);
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, 32); /* skipped, not stuck */
	free(f);
}

/* Room the kernel has left: it drops what does not fit (a LOST record). */
static uint64_t kernel_room(const struct fake *f)
{
	return RING_SIZE - (f->meta.data_head - f->meta.data_tail);
}

static void write_n(struct fake *f, int n, unsigned char first_fill)
{
	for (int i = 0; i < n; i++) {
		assert_true(kernel_room(f) >= 40);
		kernel_write(f, 9, 40, (unsigned char)(first_fill + i));
	}
}

static void read_fills(struct fake *f, unsigned char first, int n)
{
	unsigned char scratch[PERF_RING_SCRATCH];
	for (int i = 0; i < n; i++)
		check_record(perf_ring_next(&f->ring, scratch), 9, 40, (unsigned char)(first + i));
}

/* A busy reader: once more than a quarter of the ring is unread, all of it
 * is moved into memory (whole records, the one wrapping the end too) and the
 * kernel gets the room back. The next batch reads the moved records first,
 * then the ring's, in the order they were written. */
static void test_hold_makes_room_and_keeps_order(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, RING_SIZE - 72); /* the second record wraps around */
	unsigned char scratch[PERF_RING_SCRATCH];
	write_n(f, 5, 1); /* 200 of 256 bytes */
	assert_int_equal(kernel_room(f), 56);
	assert_int_equal(perf_ring_hold(&f->ring, scratch, NULL, NULL), 200);
	assert_int_equal(f->meta.data_tail, RING_SIZE - 72 + 200);
	assert_int_equal(kernel_room(f), RING_SIZE);
	write_n(f, 6, 6); /* would not have fit without the hold */
	assert_int_equal(perf_ring_begin(&f->ring), 440);
	read_fills(f, 1, 11);
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, RING_SIZE - 72 + 440);
	assert_null(f->ring.held); /* all read: the memory is given back */
	assert_int_equal(perf_ring_begin(&f->ring), 0);
	perf_ring_end(&f->ring);
	perf_ring_unmap(&f->ring);
	free(f);
}

static void test_hold_below_a_quarter_moves_nothing(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	write_n(f, 1, 1); /* 40 bytes: under a quarter */
	assert_int_equal(perf_ring_hold(&f->ring, scratch, NULL, NULL), 0);
	assert_int_equal(f->meta.data_tail, 0);
	assert_null(f->ring.held);
	assert_int_equal(perf_ring_begin(&f->ring), 40);
	read_fills(f, 1, 1);
	perf_ring_end(&f->ring);
	perf_ring_unmap(&f->ring);
	free(f);
}

/* The drain leaves a record unread (newer than the other rings') by putting
 * both positions back; a later hold adds behind records still held. */
static void test_held_records_put_back_and_held_again(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, 0);
	unsigned char scratch[PERF_RING_SCRATCH];
	write_n(f, 5, 1);
	assert_int_equal(perf_ring_hold(&f->ring, scratch, NULL, NULL), 200); /* 1-5 held */
	perf_ring_begin(&f->ring);
	read_fills(f, 1, 1);
	uint64_t pos = f->ring.pos;
	size_t held_pos = f->ring.held_pos;
	read_fills(f, 2, 1);
	f->ring.pos = pos; /* record 2 not applied: put back */
	f->ring.held_pos = held_pos;
	perf_ring_end(&f->ring);
	assert_int_equal(f->meta.data_tail, 200); /* the ring was not read */
	assert_int_equal(f->ring.held_len, 160); /* 2-5 */
	write_n(f, 3, 6);
	assert_int_equal(perf_ring_hold(&f->ring, scratch, NULL, NULL), 120); /* 6-8 held behind 2-5 */
	write_n(f, 1, 9); /* 9 stays in the ring */
	assert_int_equal(perf_ring_begin(&f->ring), 320);
	read_fills(f, 2, 7);
	/* Put back at a ring record once every held one is read. */
	pos = f->ring.pos;
	held_pos = f->ring.held_pos;
	read_fills(f, 9, 1);
	f->ring.pos = pos;
	f->ring.held_pos = held_pos;
	perf_ring_end(&f->ring);
	assert_null(f->ring.held);
	assert_int_equal(f->meta.data_tail, 320);
	assert_int_equal(perf_ring_begin(&f->ring), 40);
	read_fills(f, 9, 1);
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	perf_ring_unmap(&f->ring);
	free(f);
}

/* What the sampler's trim does, on the fake's records: keep 24 bytes. */
static uint16_t trim_to_24(struct perf_event_header *h, void *ctx)
{
	(*(int *)ctx)++;
	h->size = 24;
	return 24;
}

static uint16_t trim_broken(struct perf_event_header *h, void *ctx)
{
	(void)ctx;
	h->size = 16;
	return 48; /* longer than the record: not to be believed */
}

/* Each held record goes through the trim, and what is read back is the
 * trimmed record; a trim that breaks its contract leaves records whole. */
static void test_hold_trims_what_it_holds(void **state)
{
	(void)state;
	struct fake *f = calloc(1, sizeof(*f));
	fake_init(f, RING_SIZE - 72);
	unsigned char scratch[PERF_RING_SCRATCH];
	write_n(f, 5, 1);
	int calls = 0;
	assert_int_equal(perf_ring_hold(&f->ring, scratch, trim_to_24, &calls), 200);
	assert_int_equal(calls, 5);
	assert_int_equal(f->ring.held_len, 5 * 24);
	write_n(f, 5, 6);
	assert_int_equal(perf_ring_hold(&f->ring, scratch, trim_broken, NULL), 200);
	assert_int_equal(f->ring.held_len, 5 * 24 + 5 * 40);
	assert_int_equal(perf_ring_begin(&f->ring), 320);
	for (int i = 0; i < 5; i++)
		check_record(perf_ring_next(&f->ring, scratch), 9, 24, (unsigned char)(1 + i));
	read_fills(f, 6, 5);
	assert_null(perf_ring_next(&f->ring, scratch));
	perf_ring_end(&f->ring);
	assert_null(f->ring.held);
	perf_ring_unmap(&f->ring);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_in_order_and_moves_tail),
		cmocka_unit_test(test_snapshot_ignores_later_writes),
		cmocka_unit_test(test_straddling_record_is_copied_whole),
		cmocka_unit_test(test_header_split_across_the_end),
		cmocka_unit_test(test_many_laps),
		cmocka_unit_test(test_bad_size_ends_batch),
		cmocka_unit_test(test_hold_makes_room_and_keeps_order),
		cmocka_unit_test(test_hold_below_a_quarter_moves_nothing),
		cmocka_unit_test(test_held_records_put_back_and_held_again),
		cmocka_unit_test(test_hold_trims_what_it_holds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
