# a packet pointer found past data_end decides its next comparison with data_end (clang -O1 emits such repeated checks in parsing loops); the other side is dead and never read
# type: xdp
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, beyond
ldxb %r0, [%r2+7]
exit
beyond:
add %r4, 2
jgt %r4, %r3, out
ldxb %r0, [%r4+0]
exit
out:
mov %r0, 2
exit
