# LD_ABS is for skb programs only
# type: xdp
# expect: BPF_LD_[ABS|IND] instructions not allowed for this program type
# kernel: reject
mov %r6, %r1
ldabsb 0
exit
