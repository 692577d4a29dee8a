/* Unit tests for sym_demangle(): C++ (Itanium), Rust legacy and Rust v0
 * names as compilers emit them; plain C names are not mangled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbolize/symbolizer.h"

static void expect(const char *mangled, const char *want)
{
	char *got = sym_demangle(mangled);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_cxx(void **state)
{
	(void)state;
	expect("_ZN2ns3FooIiE3barEi", "ns::Foo<int>::bar(int)");
	expect("_Z1fv", "f()");
	expect("_ZN12prowl_sample6engine11AccumulatorIdE3addEj",
	       "prowl_sample::engine::Accumulator<double>::add(unsigned int)");
	expect("_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()() const");
	expect("_ZNSt6vectorIiSaIiEE9push_backERKi",
	       "std::vector<int, std::allocator<int> >::push_back(int const&)");
}

static void test_rust_legacy(void **state)
{
	(void)state;
	/* The 17h<16 hex>E hash suffix is dropped, as rustfilt does. */
	expect("_ZN3std2rt10lang_start17h0c1c5c8d1e6c4a2bE", "std::rt::lang_start");
	expect("_ZN4core3fmt9Formatter3pad17h1a2b3c4d5e6f7a8bE", "core::fmt::Formatter::pad");
	expect("_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$"
	       "4drop17h5e5bd1a5f5b0e3f0E",
	       "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop");
}

static void test_rust_v0(void **state)
{
	(void)state;
	expect("_RNvCsa3OP4Y2yXdh_7mycrate7example", "mycrate::example");
	expect("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar");
	expect("_RINvNtC3std3mem8align_ofjE", "std::mem::align_of::<usize>");
	expect("_RNvMNtCs4fqI2P2rA04_7mycrate3fooNtB2_3Bar3new", "<mycrate::foo::Bar>::new");
}

static void test_not_mangled(void **state)
{
	(void)state;
	expect("main", NULL);
	expect("memcpy", NULL);
	expect("_start", NULL);
	expect("_Zinvalid", NULL);
	expect("", NULL);
	assert_null(sym_demangle(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx),
		cmocka_unit_test(test_rust_legacy),
		cmocka_unit_test(test_rust_v0),
		cmocka_unit_test(test_not_mangled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
