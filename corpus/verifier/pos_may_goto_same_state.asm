# a may_goto loop whose iterations are all the same state: not an infinite loop (the budget ends it)
# type: xdp
# expect: accept
# kernel: accept
mov %r0, 2
loop:
may_goto done
ja loop
done:
exit
