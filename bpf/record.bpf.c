// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Placeholder so the build configures; the recorder replaces it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
