# frozen_string_literal: true

# FASTBUNDLE_GC_STRESS=1 (`rake test:gc_stress`): every call into the native
# extension runs under GC.stress (a collection at every allocation), so a
# Ruby object the binding uses without keeping it alive (a request Hash
# being read, a result being built) is collected under its feet and the
# spec fails or crashes. Only the calls: the whole boot under GC.stress
# takes minutes, nearly all of it in plain Ruby.
#
# spec_helper requires this for in-process specs; World#ruby puts it before
# `-rfastbundle/setup` in fastbundle's subprocesses.
require "fastbundle"

module FastBundleGCStress
  def self.wrap(target)
    names = target.instance_methods(false) + target.private_instance_methods(false)
    target.prepend(Module.new do
      names.each do |name|
        define_method(name) do |*args, &block|
          before = GC.stress
          GC.stress = true
          begin
            super(*args, &block)
          ensure
            GC.stress = before
          end
        end
      end
    end)
  end

  [FastBundle::Native.singleton_class, FastBundle::Lockfile.singleton_class, FastBundle::Lockfile,
   FastBundle::LockedSpec, FastBundle::Source, FastBundle::LockedDependency].each { |t| wrap(t) }
end
