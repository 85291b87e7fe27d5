# a bpf_loop callback indexes its caller's 16-byte array with the loop index, checked
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r3, %r10
add %r3, -16
mov %r1, 16
lddw %r2, func step
mov %r4, 0
call 181
ldxb %r0, [%r10-1]
exit
step:
jgt %r1, 15, stop
add %r2, %r1
stb [%r2+0], 1
mov %r0, 0
exit
stop:
mov %r0, 1
exit
