# cmpxchg on a slot holding the spilled frame pointer gives r0 that pointer back, which may then be dereferenced (kernel selftest "Dest pointer in r0 - succeed")
# type: socket_filter
# expect: accept
# kernel: accept
mov %r0, %r10
stxdw [%r10-8], %r0
mov %r1, 0
lock cmpxchg [%r10-8], %r1
ldxdw %r1, [%r0-8]
mov %r0, 0
exit
