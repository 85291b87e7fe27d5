# a bpf_dynptr_data slice of a ring buffer record used after bpf_ringbuf_submit_dynptr released it
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
# expect: R6 invalid mem access 'scalar'
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 8
call 203
mov %r6, %r0
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 199
jeq %r6, 0, out
mov %r1, 5
stxdw [%r6+0], %r1
out:
mov %r0, 2
exit
