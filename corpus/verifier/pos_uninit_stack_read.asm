# read of a stack slot never written (root may: the bytes read as unknown, allow_uninit_stack; refused with allowUninitStack: false)
# type: xdp
# expect: accept
# strict: invalid read from stack off -8+0 size 8
# kernel: accept
ldxdw %r0, [%r10-8]
exit
