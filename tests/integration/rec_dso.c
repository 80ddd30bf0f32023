// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A shared object for the dlopen case of the record integration tests. */
int slz_itest_dso_answer(void);

int slz_itest_dso_answer(void)
{
	return 42;
}
