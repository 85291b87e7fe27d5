# the same write to r10 where the branch is always taken
# type: xdp
# expect: frame pointer is read only
# kernel: reject
mov %r0, 2
mov %r1, 5
jgt %r1, 4, dead
exit
dead:
mov %r10, 0
exit
