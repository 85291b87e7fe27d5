# bpf_loop's callback_ctx is the program's context: only a stack pointer or NULL may be passed
# type: xdp
# expect: R3 type=ctx expected=fp
# kernel: reject
mov %r3, %r1
mov %r1, 4
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
mov %r0, 0
exit
