"""The essay's three mesa-optimizers (shared/seeds/002), as the tests state them."""

ESSAY_PROGRAMS = """\
primitive get_base_obj, mesaoptimize, useful_knowledge, simplest_obj, combine
primitive is_deployed_in_world, get_proxy_for_base_obj, mesaoptimize_env
primitive mesaoptimize_outer_world_env, find, env
program Hfh {
  stores get_base_obj, mesaoptimize, useful_knowledge
  runs   get_proxy_for_base_obj, mesaoptimize_env
}
program Hfd extends Hfh {
  stores simplest_obj, is_deployed_in_world
  runs   is_deployed_in_world
}
program Hsd {
  c = c(simplest_obj) + c(combine) + c(mesaoptimize) + c(useful_knowledge)
  t = t(combine) + t(find(get_proxy_for_base_obj(env))) + t(mesaoptimize_env) +
      t(mesaoptimize_outer_world_env)
}
"""
