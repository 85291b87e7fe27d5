# a bpf_loop callback reads its caller's stack where nothing was written (root may: the bytes read as unknown, allow_uninit_stack; refused with allowUninitStack: false)
# type: xdp
# expect: accept
# strict: invalid read from stack
# kernel: accept
mov %r3, %r10
add %r3, -8
mov %r1, 4
lddw %r2, func step
mov %r4, 0
call 181
mov %r0, 2
exit
step:
ldxdw %r0, [%r2+0]
mov %r0, 0
exit
