# bpf_loop's flags need not be known: the helper returns -EINVAL at run time for non-zero flags
# type: xdp
# expect: accept
# kernel: accept
ldxw %r4, [%r1+16]
mov %r1, 4
lddw %r2, func step
mov %r3, 0
call 181
mov %r0, 2
exit
step:
mov %r0, 0
exit
