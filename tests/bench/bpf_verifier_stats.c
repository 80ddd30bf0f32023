// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Not a test: what the verifier spends on each recorder program (issue 13's start-up).
 * Loads the skeleton's programs with log level 4 (statistics only) and prints, per program,
 * the verifier's own "processed N insns ... peak_states" line and its verification time.
 * Usage: bpf_verifier_stats [sys_exit|per-syscall] (default sys_exit, which record uses here).
 * Run as root; nothing is attached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "record.skel.h"

#define LOG_SIZE (16 * 1024 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	bool per_syscall = argc > 1 && !strcmp(argv[1], "per-syscall");
	/* BPF_VERIFIER_LOG=1: the whole log (levels 2 + 4), to see why a program is refused. */
	int level = getenv("BPF_VERIFIER_LOG") ? 6 : 4;
	struct record_bpf *skel = record_bpf__open();
	struct bpf_program *prog;
	char *logs[64] = {0};
	double t0, t1;
	size_t n = 0;
	int err;

	if (!skel) {
		fprintf(stderr, "bpf_verifier_stats: cannot open the skeleton\n");
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		bool load = !strncmp(sec, "tracepoint/", 11)   ? per_syscall
			    : prog == skel->progs.slz_sys_exit ? !per_syscall
							       : true;

		bpf_program__set_autoload(prog, load);
		if (!load || n >= 64)
			continue;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return 1;
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		bpf_program__set_log_level(prog, level);
		n++;
	}
	t0 = now();
	err = record_bpf__load(skel);
	t1 = now();
	if (err) {
		fprintf(stderr, "bpf_verifier_stats: load failed: %s\n", strerror(-err));
		for (size_t i = 0; i < n; i++)
			if (logs[i][0])
				fprintf(stderr, "%s\n",
					logs[i] + (strlen(logs[i]) > 6000 ? strlen(logs[i]) - 6000
									  : 0));
		return 1;
	}
	n = 0;
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		char *s = logs[n++], *line;

		if (level == 6)
			fprintf(stderr, "==== %s\n%s", bpf_program__name(prog), s);
		printf("%-20s", bpf_program__name(prog));
		for (line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
			if (strstr(line, "processed") || strstr(line, "verification time"))
				printf("  %s", line);
		printf("\n");
	}
	printf("load: %.1f ms\n", (t1 - t0) * 1e3);
	record_bpf__destroy(skel);
	return 0;
}
