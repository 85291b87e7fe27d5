# checksum-like loop over up to 64 packet bytes
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
mov %r6, 0
loop:
mov %r4, %r2
add %r4, %r6
mov %r5, %r4
add %r5, 1
jgt %r5, %r3, done
ldxb %r7, [%r4+0]
add %r0, %r7
add %r6, 1
jlt %r6, 64, loop
done:
exit
