# a bpf_loop callback writes past the end of its caller's stack through callback_ctx
# type: xdp
# expect: invalid write to stack R2 off=0 size=8
# kernel: reject
stdw [%r10-8], 0
mov %r3, %r10
add %r3, -8
mov %r1, 4
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
stdw [%r2+8], 1
mov %r0, 0
exit
