# may_goto to the next instruction (off = 0: clang 20 emits it) only spends the budget
# type: xdp
# expect: accept
# kernel: accept
mov %r0, 2
.insn 0xe5, 0, 0, 0, 0
exit
