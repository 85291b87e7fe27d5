/* The JIT benchmark's two loops written in C, compiled by the machine's C compiler at -O2 when
 * one is present (bench/native/reference.ts): what native code makes of the same work, the
 * ceiling for any eBPF JIT on this CPU. Same 64-bit semantics as the eBPF programs:
 *   alu_loop: bench/micro/interpreter.ts aluLoopAsm (9 eBPF instructions per iteration);
 *   prime:    corpus/conformance/bpf_conformance/prime.data (its C source), on a u64.
 * Prints one JSON line: the best wall ns per call of each over repeated calls. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) static uint64_t alu_loop(volatile uint64_t *iterations)
{
	uint64_t r0 = 0, r1 = 0, r2 = *iterations, r3 = 0x12345678, r4;
	uint32_t r5 = 0;
	do {
		r0 += r1;
		r3 ^= r0;
		r4 = r3 << 7;
		r3 >>= 3;
		r3 ^= r4;
		r5 += (uint32_t)r3;
		r1++;
	} while (r1 < r2);
	return (r0 ^ r3) + r5;
}

__attribute__((noinline)) static uint64_t prime(volatile uint64_t *argp)
{
	uint64_t arg = *argp;
	for (uint64_t i = 2; i < arg; i++)
		if (arg % i == 0)
			return 0;
	return 1;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double best_ns(uint64_t (*fn)(volatile uint64_t *), uint64_t arg, int calls, uint64_t *result)
{
	volatile uint64_t in = arg;
	double best = 1e300;
	for (int k = 0; k < calls; k++) {
		double t = now_ns();
		*result = fn(&in);
		t = now_ns() - t;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s ALU_ITERATIONS PRIME CALLS\n", argv[0]);
		return 2;
	}
	uint64_t iterations = strtoull(argv[1], NULL, 0), n = strtoull(argv[2], NULL, 0);
	int calls = atoi(argv[3]);
	uint64_t alu_r0, prime_r0;
	double alu = best_ns(alu_loop, iterations, calls, &alu_r0);
	double pr = best_ns(prime, n, calls, &prime_r0);
	printf("{\"alu_ns\":%.0f,\"alu_r0\":\"0x%llx\",\"prime_ns\":%.0f,\"prime_r0\":\"0x%llx\"}\n", alu,
	       (unsigned long long)alu_r0, pr, (unsigned long long)prime_r0);
	return 0;
}
