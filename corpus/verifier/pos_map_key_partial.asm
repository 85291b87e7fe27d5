# 4 of the 8 key bytes written (root may: the bytes read as unknown, allow_uninit_stack; refused with allowUninitStack: false)
# type: xdp
# map: wide hash key=8 value=8 entries=16
# expect: accept
# strict: invalid indirect read from stack R2 off -8+4 size 8
# kernel: accept
stw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
