# a bpf_loop callback returns a pointer (its own address) instead of 0 or 1
# type: xdp
# expect: R0 not a scalar value
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
lddw %r0, func step
exit
