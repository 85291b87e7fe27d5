# bpf_ringbuf_reserve_dynptr, bpf_dynptr_write and a bpf_dynptr_data slice into the record, then bpf_ringbuf_submit_dynptr, which releases it (6.18: accepted, 31 processed insns)
# expect: accept
# kernel: accept
# type: xdp
# map: rb ringbuf key=0 value=0 entries=4096
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, 7
stxdw [%r10-24], %r1
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, %r10
add %r3, -24
mov %r4, 8
mov %r5, 0
call 202
mov %r1, %r10
add %r1, -16
mov %r2, 8
mov %r3, 8
call 203
jeq %r0, 0, sub
mov %r1, 5
stxdw [%r0+0], %r1
sub:
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 199
mov %r0, 2
exit
