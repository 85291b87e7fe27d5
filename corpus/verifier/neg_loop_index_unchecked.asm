# a bpf_loop callback indexes its caller's array with the loop index, unchecked
# type: xdp
# expect: math between fp pointer and register with unbounded min value is not allowed
# kernel: reject
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r3, %r10
add %r3, -16
mov %r1, 16
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
add %r2, %r1
stb [%r2+0], 1
mov %r0, 0
exit
