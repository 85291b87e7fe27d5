# only the first 4 of 8 bytes were written (root may: the bytes read as unknown, allow_uninit_stack; refused with allowUninitStack: false)
# type: xdp
# expect: accept
# strict: invalid read from stack off -8+4 size 8
# kernel: accept
stw [%r10-8], 0
ldxdw %r0, [%r10-8]
exit
