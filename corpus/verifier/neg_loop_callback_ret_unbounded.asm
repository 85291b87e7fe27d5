# a bpf_loop callback returns a value not known to be 0 or 1
# type: xdp
# expect: At callback return the register R0 has unknown scalar value should have been in [0, 1]
# kernel: reject
mov %r1, 4
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
step:
mov %r0, %r1
exit
