# a may_goto that jumps to itself once the budget is spent: the same state at the same depth
# comes back, an infinite loop
# type: xdp
# expect: infinite loop detected at insn 1
# kernel: reject
mov %r0, 2
l: may_goto l
exit
