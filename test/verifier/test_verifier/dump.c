// Print the kernel's test_verifier tests as JSON lines, one test a line. build.sh compiles this
// file against a Linux source tree's tools/testing/selftests/bpf: it includes test_verifier.c
// with its main() renamed, so the tests array, the fill_helper generators and the struct
// bpf_test layout are the kernel's own. Nothing of the kernel's is kept in this repository.
typedef unsigned int u32;
typedef unsigned long long u64;
#define main test_verifier_main
#include "test_verifier.c"
#undef main

/* Programs past this many instructions (the generated scale tests) are left out: 16 MB each. */
#define MAX_DUMPED_INSNS 65536

static void print_string(const char *key, const char *s)
{
	printf(",\"%s\":", key);
	if (!s) {
		printf("null");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 32)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_fixup(const char *key, const int *at)
{
	if (!at[0])
		return;
	printf(",\"%s\":[", key);
	for (int i = 0; at[i]; i++)
		printf("%s%d", i ? "," : "", at[i]);
	printf("]");
}

int main(void)
{
	for (size_t t = 0; t < ARRAY_SIZE(tests); t++) {
		struct bpf_test *test = &tests[t];
		if (test->fill_helper) {
			test->fill_insns = calloc(MAX_TEST_INSNS, sizeof(struct bpf_insn));
			test->fill_helper(test);
		}
		struct bpf_insn *prog = test->fill_insns ? test->fill_insns : test->insns;
		int len = test->fill_insns ? test->prog_len : probe_filter_length(test->insns);
		if (len > MAX_DUMPED_INSNS) {
			fprintf(stderr, "left out: #%zu %s (%d instructions)\n", t, test->descr, len);
			continue;
		}
		printf("{\"i\":%zu", t);
		print_string("descr", test->descr);
		printf(",\"prog_type\":%d,\"result\":%d,\"flags\":%d,\"attach\":%d",
		       test->prog_type, test->result, test->flags, test->expected_attach_type);
		print_string("errstr", test->errstr);
		printf(",\"btf\":%d,\"func_info\":%d,\"kfunc\":%d", test->btf_types[0] != 0,
		       test->func_info_cnt, test->kfunc != NULL || test->fixup_kfunc_btf_id[0].kfunc != NULL);
#define FIXUP(x) print_fixup(#x, test->x);
		FIXUP(fixup_map_hash_8b) FIXUP(fixup_map_hash_48b) FIXUP(fixup_map_hash_16b)
		FIXUP(fixup_map_array_48b) FIXUP(fixup_map_sockmap) FIXUP(fixup_map_sockhash)
		FIXUP(fixup_map_xskmap) FIXUP(fixup_map_stacktrace) FIXUP(fixup_prog1) FIXUP(fixup_prog2)
		FIXUP(fixup_map_in_map) FIXUP(fixup_cgroup_storage) FIXUP(fixup_percpu_cgroup_storage)
		FIXUP(fixup_map_spin_lock) FIXUP(fixup_map_array_ro) FIXUP(fixup_map_array_wo)
		FIXUP(fixup_map_array_small) FIXUP(fixup_sk_storage_map) FIXUP(fixup_map_event_output)
		FIXUP(fixup_map_reuseport_array) FIXUP(fixup_map_ringbuf) FIXUP(fixup_map_timer)
		FIXUP(fixup_map_kptr)
		/* test_verifier runs an accepted program test->runs times (0: once, < 0: never). */
		int runs = test->runs < 0 ? 0 : test->runs ? test->runs : 1;
		printf(",\"runs\":[");
		for (int r = 0; r < runs && r < MAX_TEST_RUNS; r++) {
			printf("%s{\"retval\":%u,\"data\":\"", r ? "," : "", test->retvals[r].retval);
			for (int b = 0; b < TEST_DATA_LEN; b++)
				printf("%02x", test->retvals[r].data[b]);
			printf("\"}");
		}
		printf("],\"insns\":\"");
		for (int i = 0; i < len; i++) {
			unsigned char *b = (unsigned char *)&prog[i];
			for (int k = 0; k < 8; k++)
				printf("%02x", b[k]);
		}
		printf("\"}\n");
	}
	return 0;
}
