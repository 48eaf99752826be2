# multi
