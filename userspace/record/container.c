// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "container.h"
#include "util.h"

extern char **environ;

/* tool's output (stdout and stderr, up to size - 1 bytes) and exit status; -ENOENT: no tool. */
static int run_inspect(const char *tool, const char *name, char *buf, size_t size, int *status)
{
	char *argv[] = {(char *)tool, "inspect", "--format", "{{.State.Pid}}", (char *)name, NULL};
	posix_spawn_file_actions_t fa;
	int p[2], err;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		close(p[0]);
		return -err;
	}
	while (len < size - 1 && (n = read(p[0], buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* The first line of s, trimmed, in place. */
static char *first_line(char *s)
{
	char *nl;

	while (*s == ' ' || *s == '\n')
		s++;
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	return s;
}

int container__init_pid(const char *name, pid_t *pid, const char **tool)
{
	static const char *const tools[] = {"docker", "podman"};
	char buf[2][512] = {{0}};
	bool found[2] = {false, false};
	int status, err;

	for (int i = 0; i < 2; i++) {
		char *end, *line;
		long v;

		err = run_inspect(tools[i], name, buf[i], sizeof(buf[i]), &status);
		if (err == -ENOENT)
			continue;
		if (err)
			return slz_fail(-err, "cannot run %s: %s", tools[i], strerror(-err));
		found[i] = true;
		line = first_line(buf[i]);
		if (line != buf[i])
			memmove(buf[i], line, strlen(line) + 1);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			continue;
		v = strtol(buf[i], &end, 10);
		if (end == buf[i] || *end || v < 0 || v > INT32_MAX)
			return slz_fail(EINVAL, "%s inspect %s printed '%s', not a pid", tools[i],
					name, buf[i]);
		if (v == 0)
			return slz_fail(ESRCH,
					"container '%s' is not running (%s has it stopped); "
					"start it first",
					name, tools[i]);
		*pid = (pid_t)v;
		*tool = tools[i];
		return 0;
	}
	if (!found[0] && !found[1])
		return slz_fail(ENOENT,
				"no docker or podman on PATH to ask about container '%s'; find "
				"its init pid and use --pid, or its cgroup and use --cgroup",
				name);
	if (found[0] && found[1])
		return slz_fail(ENOENT,
				"no container '%s' is known to docker (%s) or podman (%s); 'docker "
				"ps' or 'podman ps' lists them",
				name, buf[0], buf[1]);
	return slz_fail(ENOENT, "no container '%s' is known to %s (%s); '%s ps' lists them", name,
			found[0] ? "docker" : "podman", found[0] ? buf[0] : buf[1],
			found[0] ? "docker" : "podman");
}
