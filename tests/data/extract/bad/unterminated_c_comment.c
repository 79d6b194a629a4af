int x;
/* never closed
