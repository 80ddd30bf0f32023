// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Load and attach floor.bpf.o, create READY, hold until STOP exists, for scripts/bench-syscalls.
 *   floorload OBJ READY STOP */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct stat st;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: floorload OBJ READY STOP\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floorload: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "floorload: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
	f = fopen(argv[2], "w");
	if (!f)
		return 1;
	fclose(f);
	while (stat(argv[3], &st))
		usleep(50000);
	bpf_object__close(obj);
	return 0;
}
