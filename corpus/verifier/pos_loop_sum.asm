# bpf_loop: a callback adds each index to a sum in its caller's stack (callback_ctx)
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
mov %r3, %r10
add %r3, -8
mov %r1, 10
lddw %r2, func step
mov %r4, 0
call 181
ldxdw %r0, [%r10-8]
exit
step:
ldxdw %r3, [%r2+0]
add %r3, %r1
stxdw [%r2+0], %r3
mov %r0, 0
exit
