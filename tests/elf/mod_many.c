/* SPDX-License-Identifier: MIT */
/* Eighty functions, each in its own section (-ffunction-sections): more
 * sections and symbols than a load keeps on the stack, so its tables come
 * from the heap (check_elfload's allocation-failure walk). */
#define F(n) int many_##n(int x) { return x + n; }
#define F10(t) F(t##0) F(t##1) F(t##2) F(t##3) F(t##4) F(t##5) F(t##6) F(t##7) F(t##8) F(t##9)

F10(1) F10(2) F10(3) F10(4) F10(5) F10(6) F10(7) F10(8)

int many_sum(int x)
{
	return many_10(x) + many_89(x);
}
