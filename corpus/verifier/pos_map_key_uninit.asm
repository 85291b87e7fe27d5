# the key bytes on the stack were never written (root may: the bytes read as unknown, allow_uninit_stack; refused with allowUninitStack: false)
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: accept
# strict: invalid indirect read from stack R2 off -8+0 size 4
# kernel: accept
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
