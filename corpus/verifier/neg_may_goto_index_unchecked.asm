# a loop bounded only by may_goto indexes a stack array with its counter, unchecked: the counter
# is precise (it moved a stack pointer), so iterations are not widened but followed one by one
# until the 17th writes past the frame
# type: xdp
# expect: invalid write to stack R2 off=0 size=1
# kernel: reject
stdw [%r10-8], 0
stdw [%r10-16], 0
mov %r1, 0
loop:
may_goto done
mov %r2, %r10
add %r2, -16
add %r2, %r1
stb [%r2+0], 1
add %r1, 1
ja loop
done:
mov %r0, 2
exit
