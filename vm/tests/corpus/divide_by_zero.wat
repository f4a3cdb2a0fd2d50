;; Divides by zero.
(module
  (memory (export "memory") 1)
  (func (export "call") (drop (i32.div_u (i32.const 1) (i32.const 0)))))
