# a pointer past data_end moved down by a constant may be inside the packet again: its next comparison is not decided
# type: xdp
# expect: invalid access to packet, off=20 size=1
# kernel: accept (6.18 keeps the mark on `ptr -= K` and decides the branch, then hard-wires it: with a 16..19-byte packet the kernel jumps to `out` where the bytecode falls through — test-run checked. We run the bytecode, so we may not decide it)
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 20
jgt %r4, %r3, beyond
mov %r0, 0
exit
beyond:
add %r4, -4
jgt %r4, %r3, out
ldxb %r0, [%r4+4]
exit
out:
mov %r0, 2
exit
