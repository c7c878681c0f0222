"""Index room: corpus documents → clause tree → chunks → persistent Chroma + BM25 index."""
