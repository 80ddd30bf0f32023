// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* A datagram socket bound where NOTIFY_SOCKET will name it: a path, or '@name' abstract. */
static int listener(const char *addr)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, addr, len);
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(
		bind(fd, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (addr[0] == '/'))),
		0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_path_socket_gets_the_state(void **state)
{
	char dir[] = "/tmp/slz-notify-XXXXXX", path[64];
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify__send("READY=1\nSTATUS=watching 2 cgroups"), 0);
	expect_datagram(fd, "READY=1\nSTATUS=watching 2 cgroups");
	close(fd);
	unlink(path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket_gets_the_state(void **state)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@slz-notify-test-%d", (int)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(notify__send("STOPPING=1"), 0);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_no_socket_is_nothing_to_tell(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify__send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(notify__send("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_bad_addresses_are_refused(void **state)
{
	char longpath[200];

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(notify__send("READY=1"), -EAFNOSUPPORT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(notify__send("READY=1"), -ENAMETOOLONG);
	/* Nobody listening there: the socket's own error, not a silent success. */
	setenv("NOTIFY_SOCKET", "/nonexistent-slz-dir/notify", 1);
	assert_int_equal(notify__send("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket_gets_the_state),
		cmocka_unit_test(test_abstract_socket_gets_the_state),
		cmocka_unit_test(test_no_socket_is_nothing_to_tell),
		cmocka_unit_test(test_bad_addresses_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
