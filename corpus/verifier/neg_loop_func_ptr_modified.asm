# the address of a bpf_loop callback is moved before it is passed
# type: xdp
# expect: dereference of modified func ptr R2 off=8 disallowed
# kernel: reject
mov %r1, 4
lddw %r2, func step
add %r2, 8
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
step:
mov %r0, 0
exit
