# bpf_ringbuf_submit_dynptr of a LOCAL dynptr, which holds no reference to release
# type: xdp
# map: vals array key=4 value=64 entries=1
# expect: arg 1 is an unacquired reference
# kernel: reject
mov %r1, 0
stxw [%r10-4], %r1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 64
mov %r3, 0
mov %r4, %r10
add %r4, -24
call 197
mov %r1, %r10
add %r1, -24
mov %r2, 0
call 199
out:
mov %r0, 2
exit
