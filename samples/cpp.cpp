// cpp: C++ frames for demangling and unwinding tests. Every round of
// prowl_sample::engine::run_round spends its spin units as follows:
//   Accumulator<double>::add            4 units  (40%)
//   run_round(...)::{lambda(int)#1}     3 units  (30%, called via std::function)
//   risky_step(int)                     2 units  (20%, throws every other call)
//   Scheduler::tick()                   1 unit   (10%)
// Call path: main -> prowl_sample::engine::run -> run_round -> each of them.
// Usage: cpp [SECONDS] (default 5; 0 or inf: until killed).
#include <functional>
#include <stdexcept>

#include "common.h"

namespace prowl_sample {
namespace engine {

template <typename T> class Accumulator {
public:
	NOINLINE void add(unsigned units)
	{
		uint64_t acc = state_;

		SPIN_UNITS(acc, units);
		state_ = acc;
		total_ += static_cast<T>(acc >> 40);
	}
	T total() const { return total_; }

private:
	uint64_t state_ = 1;
	T total_ = 0;
};

class Scheduler {
public:
	NOINLINE uint64_t tick()
	{
		SPIN_UNITS(ticks_, 1);
		return ticks_;
	}

private:
	uint64_t ticks_ = 7;
};

NOINLINE static uint64_t risky_step(int round)
{
	uint64_t acc = static_cast<uint64_t>(round) | 1;

	SPIN_UNITS(acc, 2);
	if (round % 2 == 0)
		throw std::runtime_error("even round");
	return acc;
}

NOINLINE static uint64_t run_round(Accumulator<double> &accum, Scheduler &sched, int round)
{
	uint64_t lacc = 3;
	std::function<void(int)> step = [&lacc](int units) __attribute__((noinline)) {
		SPIN_UNITS(lacc, units);
	};
	uint64_t r = 0;

	accum.add(4);
	step(3);
	try {
		r = risky_step(round);
	} catch (const std::runtime_error &) {
		r = 1; // the exception path: taken every other round
	}
	r += sched.tick();
	return r ^ lacc;
}

NOINLINE static uint64_t run()
{
	Accumulator<double> accum;
	Scheduler sched;
	uint64_t r = 0;

	for (int round = 0; !sample_stop; round++)
		r += run_round(accum, sched, round);
	return r + static_cast<uint64_t>(accum.total());
}

} // namespace engine
} // namespace prowl_sample

int main(int argc, char **argv)
{
	sample_arm(sample_seconds(argc, argv, 5, "cpp [SECONDS]"));
	sample_sink = prowl_sample::engine::run();
	return 0;
}
