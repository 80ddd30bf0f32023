// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* slimzip ctl: one request to a running daemon (docs/PROTOCOL.md), its reply as text or JSON. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "client.h"
#include "options.h"
#include "proto.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: slimzip ctl [--socket PATH] [--format text|json] COMMAND [ARGS]\n"
		"\n"
		"  add NAME --cgroup PATH   follow an existing cgroup (and below) as target NAME\n"
		"  remove NAME              stop following NAME; nothing is written\n"
		"  list                     every target: name, state, source, epoch, cgroup\n"
		"  status [NAME]            one target and its loss counters, or the daemon's\n"
		"  snapshot NAME -o FILE    write NAME's profile so far to FILE (root only)\n"
		"  finish NAME              end NAME: its profile (and zip) in the state "
		"directory\n"
		"  checkpoint NAME          close NAME's epoch (profile written), start the next\n"
		"  ping                     whether the daemon answers\n"
		"\n"
		"      --socket PATH        the daemon's control socket (default %s)\n"
		"      --format F           text (default) or json (the reply's parameters)\n"
		"\n"
		"Exit status: 0; 2 for a request the daemon calls invalid; 3 when a finished\n"
		"target lost events; 4 when the daemon refuses us (root or its group only);\n"
		"11 when no daemon answers or it refused the request (no such target, ...).\n",
		CLIENT_DEFAULT_SOCKET);
}

int cli_daemon_call(const char *cmd, const char *socket, const struct proto_request *req,
		    struct proto_answer *a)
{
	struct daemon_conn *c = NULL;
	int err;

	memset(a, 0, sizeof(*a));
	err = daemon_conn__open(socket, &c);
	if (!err)
		err = daemon_conn__call(c, req, a);
	daemon_conn__free(c);
	if (err) {
		cli_error("%s: %s", cmd, slz_errmsg());
		return err == -EACCES ? EXIT_PERMISSION : EXIT_DAEMON;
	}
	if (!a->error)
		return EXIT_OK;
	cli_error("%s: %s (%s)", cmd, a->message ? a->message : "the daemon refused", a->error);
	if (!strcmp(a->error, proto_error__name(PROTO_ERR_PERMISSION_DENIED)))
		return EXIT_PERMISSION;
	if (!strcmp(a->error, proto_error__name(PROTO_ERR_INVALID_PARAMETER)) ||
	    !strcmp(a->error, proto_error__name(PROTO_ERR_INVALID_REQUEST)) ||
	    !strcmp(a->error, proto_error__name(PROTO_ERR_METHOD_NOT_FOUND)))
		return EXIT_USAGE;
	return EXIT_DAEMON;
}

/* Short names for the reply getters (daemon/proto.h), read at every line below. */
static const char *str(struct json_object *o, const char *key)
{
	return proto_answer__string(o, key);
}

static uint64_t num(struct json_object *o, const char *key)
{
	return proto_answer__u64(o, key);
}

static struct json_object *obj(struct json_object *o, const char *key)
{
	return proto_answer__object(o, key);
}

static void print_field(const char *label, const char *value)
{
	if (!value)
		return;
	printf("%-16s ", label);
	cli_name(stdout, value);
	putchar('\n');
}

static void print_target_line(struct json_object *t)
{
	cli_name(stdout, str(t, "name") ? str(t, "name") : "?");
	printf("\t%s\t%s\t%" PRIu64 "\t", str(t, "state") ? str(t, "state") : "?",
	       str(t, "source") ? str(t, "source") : "?", num(t, "epoch"));
	cli_name(stdout, str(t, "cgroup") ? str(t, "cgroup") : "?");
	putchar('\n');
}

/* The loss a finished target's profile carries: warned, and exit 3 as record gives. */
static int loss_code(const char *name, struct json_object *p)
{
	struct json_object *loss = obj(p, "loss");
	uint64_t lost = num(loss, "lostEvents"), trunc = num(loss, "truncatedPaths");

	if (!lost && !trunc)
		return EXIT_OK;
	cli_warn("target %s lost %" PRIu64 " events and truncated %" PRIu64
		 " paths: its profile is incomplete and prune refuses it without --force",
		 name, lost, trunc);
	return EXIT_LOSS;
}

static int print_text(const struct proto_request *req, struct json_object *p)
{
	struct json_object *t = obj(p, "target"), *loss = obj(p, "loss"), *arr;
	char buf[64];

	switch (req->method) {
	case PROTO_PING:
		printf("the daemon answers\n");
		return EXIT_OK;
	case PROTO_ADD:
		printf("target %s: following ", str(t, "name"));
		/* A cgroup directory's name may be anything: escaped as every listed name is. */
		cli_name(stdout, str(t, "cgroup") ? str(t, "cgroup") : "?");
		printf(" (slot %" PRIu64 ")\n", num(t, "slot"));
		return EXIT_OK;
	case PROTO_REMOVE:
		printf("target %s removed; nothing was written\n", req->name);
		return EXIT_OK;
	case PROTO_LIST:
		if (json_object_object_get_ex(p, "targets", &arr) &&
		    json_object_is_type(arr, json_type_array)) {
			printf("NAME\tSTATE\tSOURCE\tEPOCH\tCGROUP\n");
			for (size_t i = 0; i < json_object_array_length(arr); i++)
				print_target_line(json_object_array_get_idx(arr, i));
		}
		return EXIT_OK;
	case PROTO_STATUS:
		if (!t) {
			printf("targets          %" PRIu64 " live of %" PRIu64 ", %" PRIu64
			       " finished, %" PRIu64 " refused for capacity\n",
			       num(p, "targets"), num(p, "capacity"), num(p, "finished"),
			       num(p, "refusedForCapacity"));
			printf("zips             %" PRIu64 " written, %" PRIu64 " refused",
			       num(p, "zips"), num(p, "zipsRefused"));
			if (num(p, "pruning"))
				printf(", %" PRIu64 " being written", num(p, "pruning"));
			putchar('\n');
			printf("watches          %" PRIu64 " rules on %" PRIu64 " parents, %" PRIu64
			       " new cgroups refused for capacity\n",
			       num(p, "watches"), num(p, "watchedParents"), num(p, "watchRefused"));
			if (json_object_object_get_ex(p, "watched", &arr) &&
			    json_object_is_type(arr, json_type_array)) {
				for (size_t i = 0; i < json_object_array_length(arr); i++) {
					struct json_object *e = json_object_array_get_idx(arr, i);

					printf("  parent         ");
					cli_name(stdout, str(e, "parent") ? str(e, "parent") : "?");
					printf(": %" PRIu64 " refused\n", num(e, "refused"));
				}
			}
			if (json_object_object_get_ex(p, "all", &arr) &&
			    json_object_get_boolean(arr))
				printf("all              yes, %" PRIu64
				       " new cgroups refused for capacity\n",
				       num(p, "allRefused"));
			if (num(p, "endedLost") || num(p, "pathTooLong"))
				printf("discovery loss   %" PRIu64 " end markers lost, %" PRIu64
				       " cgroups with a path too long to follow\n",
				       num(p, "endedLost"), num(p, "pathTooLong"));
			if (json_object_object_get_ex(p, "attached", &arr))
				printf("syscall hook     %s\n",
				       json_object_get_boolean(arr)
					       ? "attached (a target or watch exists)"
					       : "detached (nothing to follow: no task pays for "
						 "it)");
			if (num(p, "recovered"))
				printf("recovered        %" PRIu64
				       " journals of a killed daemon, as incomplete profiles\n",
				       num(p, "recovered"));
			print_field("state dir", str(p, "stateDir"));
			print_field("socket", str(p, "socket"));
			print_field("config", str(p, "config") ? str(p, "config") : "(defaults)");
			print_field("config error", str(p, "configError"));
			return EXIT_OK;
		}
		print_field("name", str(t, "name"));
		print_field("state", str(t, "state"));
		print_field("source", str(t, "source"));
		print_field("cgroup", str(t, "cgroup"));
		snprintf(buf, sizeof(buf), "%" PRIu64, num(t, "epoch"));
		print_field("epoch", buf);
		snprintf(buf, sizeof(buf), "%" PRIu64 " lost events, %" PRIu64 " truncated paths",
			 num(loss, "lostEvents"), num(loss, "truncatedPaths"));
		print_field("loss", buf);
		print_field("function", str(p, "function"));
		print_field("profile", str(p, "profile"));
		print_field("zip", str(p, "zip"));
		print_field("zip refused", str(p, "zipRefused"));
		return EXIT_OK;
	case PROTO_SNAPSHOT:
		printf("snapshot of %s written to %s\n", req->name, str(p, "profile"));
		return EXIT_OK;
	case PROTO_FINISH:
		printf("target %s finished: profile %s\n", req->name, str(p, "profile"));
		if (str(p, "zip"))
			printf("zip %s\n", str(p, "zip"));
		if (str(p, "zipRefused"))
			cli_warn("no zip for target %s: %s", req->name, str(p, "zipRefused"));
		return loss_code(req->name, p);
	case PROTO_CHECKPOINT:
		printf("target %s: epoch %" PRIu64 " begins; the last one's profile is %s\n",
		       req->name, num(p, "epoch"), str(p, "profile"));
		return EXIT_OK;
	default:
		return EXIT_OK;
	}
}

static const struct {
	const char *word;
	enum proto_method method;
	bool takes_name; /* NAME is required (status: optional) */
} commands[] = {
	{"add", PROTO_ADD, true},
	{"remove", PROTO_REMOVE, true},
	{"list", PROTO_LIST, false},
	{"status", PROTO_STATUS, false},
	{"snapshot", PROTO_SNAPSHOT, true},
	{"finish", PROTO_FINISH, true},
	{"checkpoint", PROTO_CHECKPOINT, true},
	{"ping", PROTO_PING, false},
};

/* FILE as the daemon must see it: absolute (it does not share our working directory). */
static char *absolute(const char *file)
{
	char cwd[PATH_MAX], *out = NULL;

	if (file[0] == '/')
		return strdup(file);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, file) < 0)
		return NULL;
	return out;
}

int cmd_ctl(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_FORMAT, OPT_CGROUP };
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"output", required_argument, NULL, 'o'},
		{0},
	};
	const char *socket = CLIENT_DEFAULT_SOCKET, *cgroup = NULL, *output = NULL;
	const char *words[3] = {0};
	struct proto_request req = {0};
	struct proto_answer a;
	size_t nwords = 0, ci;
	bool json = false;
	char *abs_out = NULL;
	struct cli_getopt g;
	int c, rc;

	if (cli_getopt__init(&g, "ctl", "-:ho:", opts, NULL))
		return EXIT_FAILURE_GENERIC;
	/* Options may come before or after the command words (ctl add NAME --cgroup PATH). */
	while (optind < argc) {
		int at = optind;

		c = cli_getopt__next(&g, argc, argv);
		if (c == -1)
			break;
		switch (c) {
		case CLI_GETOPT_TWICE:
			return EXIT_USAGE;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 1:
			if (nwords == ARRAY_SIZE(words)) {
				cli_error(
					"ctl: unexpected argument '%s' (try 'slimzip ctl --help')",
					optarg);
				return EXIT_USAGE;
			}
			words[nwords++] = optarg;
			break;
		case OPT_SOCKET:
			socket = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				cli_error("ctl: invalid --format '%s' (text or json)", optarg);
				return EXIT_USAGE;
			}
			json = !strcmp(optarg, "json");
			break;
		case OPT_CGROUP:
			cgroup = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case ':':
			cli_error("ctl: option '%s' needs a value", argv[at]);
			return EXIT_USAGE;
		default:
			cli_error("ctl: unknown option '%s' (try 'slimzip ctl --help')", argv[at]);
			return EXIT_USAGE;
		}
	}
	if (!nwords) {
		cli_error("ctl: give a command: add, remove, list, status, snapshot, finish, "
			  "checkpoint or ping (try --help)");
		return EXIT_USAGE;
	}
	for (ci = 0; ci < ARRAY_SIZE(commands) && strcmp(commands[ci].word, words[0]); ci++)
		;
	if (ci == ARRAY_SIZE(commands)) {
		cli_error("ctl: unknown command '%s' (add, remove, list, status, snapshot, finish, "
			  "checkpoint, ping)",
			  words[0]);
		return EXIT_USAGE;
	}
	req.method = commands[ci].method;
	if (commands[ci].takes_name && nwords < 2) {
		cli_error("ctl %s: give the target's NAME", words[0]);
		return EXIT_USAGE;
	}
	if (nwords > (commands[ci].takes_name || req.method == PROTO_STATUS ? 2u : 1u)) {
		cli_error("ctl %s: unexpected argument '%s'", words[0], words[nwords - 1]);
		return EXIT_USAGE;
	}
	req.name = nwords > 1 ? (char *)words[1] : NULL;
	if ((req.method == PROTO_ADD) != !!cgroup) {
		cli_error(cgroup ? "ctl %s: --cgroup is for ctl add only"
				 : "ctl %s: give the cgroup to follow with --cgroup PATH",
			  words[0]);
		return EXIT_USAGE;
	}
	if ((req.method == PROTO_SNAPSHOT) != !!output) {
		cli_error(output ? "ctl %s: -o is for ctl snapshot only"
				 : "ctl %s: give the file to write with -o FILE",
			  words[0]);
		return EXIT_USAGE;
	}
	req.cgroup = (char *)cgroup;
	if (output) {
		if (!*output || atomic_file__check_writable(output)) {
			cli_error("ctl snapshot: output %s is not writable: %s", output,
				  *output ? slz_errmsg() : "empty name");
			return EXIT_OUTPUT;
		}
		abs_out = absolute(output);
		if (!abs_out) {
			cli_error("ctl snapshot: cannot make %s absolute", output);
			return EXIT_FAILURE_GENERIC;
		}
		req.output = abs_out;
	}
	rc = cli_daemon_call("ctl", socket, &req, &a);
	free(abs_out);
	req.output = NULL;
	if (!rc && json) {
		puts(json_object_to_json_string_ext(
			a.parameters, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		rc = req.method == PROTO_FINISH ? loss_code(req.name, a.parameters) : EXIT_OK;
	} else if (!rc) {
		rc = print_text(&req, a.parameters);
	}
	proto_answer__release(&a);
	if (fflush(stdout) && !rc) {
		cli_error("ctl: cannot write the output");
		rc = EXIT_OUTPUT;
	}
	return rc;
}
