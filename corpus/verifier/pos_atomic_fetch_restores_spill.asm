# a fetching atomic on a slot holding a spilled constant loads that constant, as a load would (check_atomic_rmw: "simulate the register fill"), so the loop behind the branch on it is never reached (kernel selftest "BPF_ATOMIC bounds propagation, mem->reg")
# type: socket_filter
# expect: accept
# kernel: accept
mov %r0, 0
stxdw [%r10-8], %r0
mov %r1, 1
lock fetch add [%r10-8], %r1
jne %r1, 0, -1
exit
