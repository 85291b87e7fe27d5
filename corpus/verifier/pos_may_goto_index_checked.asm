# a loop bounded only by may_goto (cond_break) writes a 16-byte stack array, its index checked
# type: xdp
# expect: accept
# kernel: accept
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r1, 0
loop:
may_goto done
jge %r1, 16, done
mov %r2, %r10
add %r2, -16
add %r2, %r1
stb [%r2+0], 1
add %r1, 1
ja loop
done:
ldxb %r0, [%r10-1]
exit
