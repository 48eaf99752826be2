# gnu
