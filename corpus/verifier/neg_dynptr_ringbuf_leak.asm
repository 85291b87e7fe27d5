# a ring buffer dynptr reserved and never submitted or discarded: its reference leaks at exit (the dynptr is id 1, its reference id 2)
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: Unreleased reference id=2 alloc_insn=6
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r0, 2
exit
