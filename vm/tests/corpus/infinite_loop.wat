;; Never ends: only gas stops it.
(module
  (memory (export "memory") 1)
  (func (export "call") (loop $forever (br $forever))))
