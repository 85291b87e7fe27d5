# bpf_loop's callback argument is a number, not a function's address
# type: xdp
# expect: R2 type=scalar expected=func
# kernel: reject
mov %r1, 4
mov %r2, 14
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
