;; call_indirect with the wrong signature.
(module
  (memory (export "memory") 1)
  (type $takes_i32 (func (param i32)))
  (table 1 funcref)
  (elem (i32.const 0) $nothing)
  (func $nothing)
  (func (export "call") (call_indirect (type $takes_i32) (i32.const 5) (i32.const 0))))
