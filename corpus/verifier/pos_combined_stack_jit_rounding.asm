# 8 + 496 bytes of stack on one call chain: 16 + 496 = 512 with the JIT's 16-byte rounding (the interpreter's 32 would make it 544)
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
call local f
mov %r0, 2
exit
f:
stdw [%r10-496], 0
mov %r0, 0
exit
