# the address of a bpf_loop callback gets a variable offset (of 0 or 8) before it is passed
# type: xdp
# expect: variable func access var_off=(0x0; 0x8) disallowed
# kernel: reject
ldxw %r5, [%r1+16]
and %r5, 8
mov %r1, 4
lddw %r2, func step
add %r2, %r5
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
step:
mov %r0, 0
exit
